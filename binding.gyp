# The native kernels (src/kernels/native/addon): one Node-API module holding the same kernel
# sources compiled three times, for AVX-512, for AVX2 with FMA, and portable; the module picks one at
# run time (dispatch.cc). Built by `npm install` through scripts/build-native.mjs, which falls back
# to the WebAssembly kernels where no compiler is found.
{
  'variables': {
    'kernel_sources': [
      'src/kernels/native/addon/activation.cc',
      'src/kernels/native/addon/activity.cc',
      'src/kernels/native/addon/conv.cc',
      'src/kernels/native/addon/depthwise.cc',
      'src/kernels/native/addon/table.cc',
    ],
    'x86': '<!(node -p "[\'x64\', \'ia32\'].includes(process.arch) ? 1 : 0")',
  },
  'target_defaults': {
    'cflags_cc': ['-O3', '-fPIC', '-fno-math-errno', '-Wall', '-Wextra'],
    'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-O3', '-fno-math-errno'] },
  },
  'targets': [
    {
      'target_name': 'rrm_kernels_portable',
      'type': 'static_library',
      'sources': ['<@(kernel_sources)'],
    },
    {
      'target_name': 'rrm_native',
      'sources': [
        'src/kernels/native/addon/binding.cc',
        'src/kernels/native/addon/dispatch.cc',
        'src/kernels/native/addon/frame.cc',
        'src/kernels/native/addon/layout.cc',
        'src/kernels/native/addon/reach.cc',
        'src/kernels/native/addon/steps.cc',
      ],
      'dependencies': ['rrm_kernels_portable'],
      'conditions': [
        ['x86==1', {
          'defines': ['RRM_HAS_X86_KERNELS'],
          'dependencies': ['rrm_kernels_avx2', 'rrm_kernels_avx512'],
        }],
      ],
    },
  ],
  'conditions': [
    ['x86==1', {
      'targets': [
        {
          'target_name': 'rrm_kernels_avx2',
          'type': 'static_library',
          'sources': ['<@(kernel_sources)'],
          'defines': ['RRM_BUILD_AVX2'],
          'cflags_cc': ['-mavx2', '-mfma'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx2', '-mfma'] },
        },
        {
          'target_name': 'rrm_kernels_avx512',
          'type': 'static_library',
          'sources': ['<@(kernel_sources)'],
          'defines': ['RRM_BUILD_AVX512'],
          # GCC 12's own AVX-512 headers trip -Wmaybe-uninitialized (masked loads of undefined vectors).
          'cflags_cc': ['-mavx512f', '-mavx2', '-mfma', '-Wno-maybe-uninitialized'],
          'xcode_settings': { 'OTHER_CPLUSPLUSFLAGS': ['-mavx512f', '-mavx2', '-mfma'] },
        },
      ],
    }],
  ],
}
